"""PicStylist test suite (pytest-django)."""
