"""HTTP views: thin blueprints that parse input, call a domain function and render."""
