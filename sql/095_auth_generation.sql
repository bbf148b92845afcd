-- A cache generation for credentials: workers cache a resolved token or session for a
-- minute at most, and drop every cached credential as soon as this generation moves.
-- It moves whenever anything that decides who a credential belongs to, or what they
-- may see, changes: a token revoked, a session ended, a user disabled or re-roled.
-- (Duties move the 'staff' generation, which the cache watches as well.)
INSERT INTO cache_generation (name) VALUES ('auth') ON CONFLICT DO NOTHING;

DROP TRIGGER IF EXISTS api_token_auth_trg ON api_token;
CREATE TRIGGER api_token_auth_trg AFTER UPDATE OF revoked_at, expires_at, user_id OR DELETE
    ON api_token FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('auth');
DROP TRIGGER IF EXISTS web_session_auth_trg ON web_session;
CREATE TRIGGER web_session_auth_trg AFTER UPDATE OF expires_at, user_id OR DELETE
    ON web_session FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('auth');
DROP TRIGGER IF EXISTS app_user_auth_trg ON app_user;
CREATE TRIGGER app_user_auth_trg AFTER UPDATE OF disabled, role, person_id OR DELETE
    ON app_user FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('auth');
