"""HTML to PDF/UA-1: the only code that imports WeasyPrint or pydyf; the text layer."""
