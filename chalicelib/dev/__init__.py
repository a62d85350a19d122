"""Development-only helpers: AWS emulation and the /_dev/ routes. Never used outside dev."""
