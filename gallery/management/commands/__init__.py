"""Storage audit command."""
