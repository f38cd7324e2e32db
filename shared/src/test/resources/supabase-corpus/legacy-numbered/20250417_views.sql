CREATE OR REPLACE VIEW experiment_summary WITH (security_invoker = true) AS
  SELECT m.name, count(e.id) AS experiments FROM molecules m LEFT JOIN experiments e ON e.molecule_id = m.id
  GROUP BY m.name
