"""Authoring kit for policy teams: test cases as data, the pytest plugin, the property kit, the
template, the scaffold of a new standard, and the diff between two standards."""
