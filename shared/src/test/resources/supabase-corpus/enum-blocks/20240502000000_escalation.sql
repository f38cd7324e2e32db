-- Two blocks on purpose: the new value must be committed before the second block uses it.
BEGIN;
ALTER TYPE public.ticket_status ADD VALUE IF NOT EXISTS 'escalated';
COMMIT;

BEGIN;
CREATE INDEX tickets_escalated_idx ON public.tickets (id) WHERE status = 'escalated';
COMMIT;
