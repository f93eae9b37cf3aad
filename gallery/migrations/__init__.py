"""Schema migrations of the gallery app."""
