-- Indexes behind foreign keys that lacked one. Deleting (or re-keying) a case checks
-- every referencing row: without these, each check scanned all visits (~650,000 at
-- city scale) and all cases.
CREATE INDEX IF NOT EXISTS visit_case_idx ON visit (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS case_file_merged_into_idx ON case_file (merged_into)
    WHERE merged_into IS NOT NULL;
