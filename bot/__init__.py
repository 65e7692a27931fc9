"""specbot: from a GitHub issue written as a specification to a reviewed pull request."""

__version__ = "0.1.0"
