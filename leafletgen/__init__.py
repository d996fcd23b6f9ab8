"""leafletgen: multilingual, accessible patient leaflets from one structured source.

The pipeline, one module per stage:

    source.py     leaflet YAML -> model.Leaflet (validated; model.py has no I/O)
    extract.py    model -> gettext messages (Babel extractor)
    catalogs.py   PO/POT files: read strictly, write, init, update
    checks.py     per-message translation checks, status, the warnings gate
    localize.py   model + catalog -> translated model; template strings
    locales.py    locale data: direction, fonts per script, names, dates (Babel)
    fonts.py      no tofu: every character covered by the locale's fonts
    render.py     translated model -> HTML (Jinja2), one part per language
    pdf.py        HTML -> PDF/UA-1 (WeasyPrint; the only module that imports it)
    hyphenation.py  Pyphen's patterns parsed once per machine, not once per process
    textlayer.py  exact /ActualText, /Lang and footer artifacts (WeasyPrint finisher)
    build.py      gather and validate everything, then render (in parallel) and write
    warm.py       a render process forked first thing for a one-PDF build
    cache.py      build keys and the manifest (incremental builds)
    files.py      atomic output; the per-user cache folder

Around it: cli.py and commands.py (the command line), pharmacy.py (the pharmacy
profile), a11y.py and readback.py (PDF/UA checks, reading a PDF as assistive
technology does), server.py and renderpool.py (the clinic order page and API).
"""

__version__ = "0.1.0"
