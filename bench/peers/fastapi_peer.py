"""A stand-in for the seeds' own stack (FastAPI + uvicorn, async, SQLite), used only as a
benchmark peer when ../shared/peers/ is absent. GET /api/beats/{id} is its GET-beat-by-id."""
import os
import sqlite3

from fastapi import FastAPI, HTTPException

DB = os.environ.get("PEER_DB", "/tmp/backbeat-fastapi-peer.db")
app = FastAPI()
_conn = None


def conn():
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(DB, check_same_thread=False)
        _conn.row_factory = sqlite3.Row
    return _conn


@app.get("/api/beats/{beat_id}")
async def get_beat(beat_id: str):
    row = conn().execute("SELECT * FROM beats WHERE beat_id = ?", (beat_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="not found")
    return dict(row)


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


def seed(n=10000):
    c = sqlite3.connect(DB)
    c.execute("DROP TABLE IF EXISTS beats")
    c.execute("CREATE TABLE beats (beat_id TEXT PRIMARY KEY, title TEXT, artist TEXT, file_url TEXT, price REAL)")
    c.executemany("INSERT INTO beats VALUES (?, ?, ?, ?, ?)",
                  [(f"beat-{i}", f"Beat {i}", "producer", f"/api/beats/beat-{i}/download", 29.99) for i in range(n)])
    c.commit()
    c.close()


if __name__ == "__main__":
    seed()
