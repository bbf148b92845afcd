SELECT adjust_area_counts(:a, CAST(:c AS smallint), -1), adjust_area_counts(:na, CAST(:nc AS smallint), 1)
