SELECT b.name AS key, b.id, count(*) OVER (PARTITION BY b.name) AS n
FROM building b WHERE b.name = ANY(CAST(:names AS text[]))
UNION ALL
SELECT b.address, b.id, count(*) OVER (PARTITION BY b.address)
FROM building b WHERE b.address = ANY(CAST(:names AS text[]))
