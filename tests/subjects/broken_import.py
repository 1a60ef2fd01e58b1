"""A model file whose import fails (a dependency that is not installed)."""
import archcheck_no_such_dependency  # noqa: F401
