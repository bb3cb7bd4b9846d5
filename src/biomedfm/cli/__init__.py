"""Command line: ``biomedfm <area> <verb>``; each area is one thin module."""
