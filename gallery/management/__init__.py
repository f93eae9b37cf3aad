"""Management commands of the gallery app."""
