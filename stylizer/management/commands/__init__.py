"""stylize, load_styles, create_default_styles, prefetch_model."""
