UPDATE topic_step SET attachments = :n WHERE id = :id
