SELECT p.i, a.id, a.code
FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
LEFT JOIN area a ON a.id = locate_leaf(ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
