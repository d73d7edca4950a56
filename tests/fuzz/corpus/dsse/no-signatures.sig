{"payload":"eyJlbnZsb2NrIjogMiwgImZpbmdlcnByaW50IjogInNoYTI1NjowMCJ9Cg==","payloadType":"application/vnd.envlock.lock+json","signatures":[]}
