"""leafletgen: multilingual, accessible patient leaflets from one structured source.

The pipeline, one module per stage:

    source.py    leaflet YAML -> model.Leaflet (validated)
    extract.py   model -> gettext messages (Babel extractor)
    catalogs.py  PO/POT files: read, write, init, update
    checks.py    per-message translation checks, status, the warnings gate
    localize.py  model + catalog -> translated model
    locales.py   locale data: direction, fonts, names, dates (Babel)
    render.py    translated model -> HTML (Jinja2)
    pdf.py       HTML -> PDF/UA-1 (WeasyPrint; the only module that imports it)
    build.py     gather and validate everything, then render and write
    cli.py       the command line
"""

__version__ = "0.1.0"
