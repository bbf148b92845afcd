"""Areas: the areas API, point location, the in-memory index, the area map and its base maps."""
