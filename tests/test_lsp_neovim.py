"""A real editor: Debian's neovim (0.7, built-in LSP client) starts `dlint lsp` headless and records the diagnostics."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.machine import unavailable

BAD = Path(__file__).parent.parent / "fixtures" / "check" / "bad.Dockerfile"

INIT = """
local out = os.getenv("DLINT_NVIM_OUT")
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(_, result)
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(result.diagnostics))
  f:close()
  vim.schedule(function() vim.cmd("qall!") end)
end
vim.api.nvim_create_autocmd("FileType", {
  pattern = "dockerfile",
  callback = function(args)
    local id = vim.lsp.start_client({ name = "dlint", cmd = { os.getenv("DLINT_PYTHON"), "-m", "dlint", "lsp" } })
    vim.lsp.buf_attach_client(args.buf, id)
  end,
})
vim.defer_fn(function() vim.cmd("cquit 3") end, 30000)
"""


def test_neovim_shows_dlint_diagnostics(tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        unavailable("neovim is not installed (scripts/apt-ensure neovim)")
    (tmp_path / "init.lua").write_text(INIT)
    target = tmp_path / "Dockerfile"
    target.write_bytes(BAD.read_bytes())
    out = tmp_path / "diagnostics.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DLINT_NVIM_OUT": str(out), "DLINT_PYTHON": sys.executable,
           "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}
    p = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", str(tmp_path / "init.lua"), str(target)],
        env=env, cwd=Path(__file__).parent.parent, capture_output=True, timeout=60,
    )
    assert out.exists(), f"neovim recorded no diagnostics (exit {p.returncode}): {p.stderr.decode()[-500:]}"
    got = {(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in json.loads(out.read_text())}
    assert got == {("DL3009", 1, 4), ("DLT001", 1, 4), ("DL3008", 2, 47), ("DLT002", 2, 52), ("DLT003", 2, 57)}
    assert target.read_bytes() == BAD.read_bytes()  # nothing written
