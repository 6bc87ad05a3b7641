-- Webhook deliveries acted on in the last 24 h, by the forge's delivery id, so
-- a replayed delivery is answered without polling the remote again.
CREATE TABLE webhook_deliveries (
  forge TEXT NOT NULL,
  delivery TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (forge, delivery)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
