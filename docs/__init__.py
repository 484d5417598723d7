"""The documentation, installed as the package ``standards_kernel_docs`` so that the pages error
messages point to are readable from a wheel: ``standards-kernel docs standard-format``. Data only."""
