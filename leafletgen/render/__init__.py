"""Locale data, render options, font coverage and the Jinja HTML of a leaflet."""
