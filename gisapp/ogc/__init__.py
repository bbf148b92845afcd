"""Open interfaces: OGC API – Features (items, CRS, CQL2, edits), OpenAPI, layer exports."""
