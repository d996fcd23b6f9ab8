"""Reading PDFs back: accessibility checks and text as assistive technology reads it."""
