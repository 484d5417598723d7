"""The tests of standards_kernel, in folders that mirror src/standards_kernel/."""
