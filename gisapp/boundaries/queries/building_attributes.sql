-- What the review needs to know of one building (gisapp/buildings_import.py).
UPDATE building SET managed = :managed, management_company = :company,
                    standalone = :standalone, built_year = :year
WHERE id = :id
