-- One stored photo of a case (of the report, or of the step :e of its history).
INSERT INTO case_photo (case_id, event_id, sha256, content_type, bytes)
VALUES (:c, :e, :s, :t, :b)
