SELECT code, name, households, colour_counts FROM area WHERE code = :c AND retired_at IS NULL
