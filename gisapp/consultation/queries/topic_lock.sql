-- Lock the topic's row for one step: two people pressing "next" at once take it in turn.
SELECT id FROM topic WHERE id = :id FOR UPDATE
