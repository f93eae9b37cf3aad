"""Management commands of the stylizer app."""
