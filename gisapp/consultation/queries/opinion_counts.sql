SELECT source, count(*) AS n FROM topic_opinion WHERE topic_id = :topic_id GROUP BY source
