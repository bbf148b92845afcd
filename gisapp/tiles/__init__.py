"""Vector tiles: layers, the tile view and service, the cache, the fast path before Flask."""
