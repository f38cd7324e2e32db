BEGIN;

ALTER TABLE molecules ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Read molecules" ON molecules FOR SELECT USING (auth.role() = 'authenticated');
CREATE POLICY "Own experiments" ON experiments FOR ALL USING (created_by = auth.uid());

COMMIT;
