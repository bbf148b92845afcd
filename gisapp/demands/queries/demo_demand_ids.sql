-- Reserve :n demand ids in one go; the first of them (ids are consecutive from here).
SELECT setval(pg_get_serial_sequence('demand', 'id'),
              nextval(pg_get_serial_sequence('demand', 'id')) + :n - 1) - :n + 1
