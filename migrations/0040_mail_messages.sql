-- Mail waiting to be sent and the record of mail sent: owned by the mail module. The message's
-- parts (text, HTML, what its attachments are made from) are kept until the SMTP server took it,
-- then emptied; the MIME message is built when it is sent.
CREATE TABLE mail_messages (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'held', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    sent_ms INTEGER
);
CREATE INDEX mail_messages_by_status ON mail_messages (status, id);
