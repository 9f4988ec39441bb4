"""Calendar and mailbox providers: local (vdir + Maildir), Google, Microsoft."""
