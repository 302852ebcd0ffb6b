"""Shared test helpers (as NetBox's utilities/testing): factories, HTTP clients, envelope assertions,
the page reader, the browser driver and test marks. Test modules import from here, never from
each other."""
