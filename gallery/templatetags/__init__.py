"""Template tags of the gallery app."""
