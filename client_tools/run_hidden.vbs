' work-tracing: starts report.ps1 with Windows PowerShell and no window, and waits for it, so
' that the scheduled task lives as long as the agent (and "restart on failure" can see it end).
' Usage: wscript.exe //B run_hidden.vbs ["C:\path\to\report.ps1"]
' Without an argument it runs the report.ps1 beside this file.
Option Explicit

Dim shell, fso, scriptPath, powershell, command, exitCode

Set shell = CreateObject("WScript.Shell")
Set fso = CreateObject("Scripting.FileSystemObject")

If WScript.Arguments.Count >= 1 Then
    scriptPath = WScript.Arguments(0)
Else
    scriptPath = fso.BuildPath(fso.GetParentFolderName(WScript.ScriptFullName), "report.ps1")
End If

If Not fso.FileExists(scriptPath) Then
    WScript.Quit 2
End If

powershell = shell.ExpandEnvironmentStrings("%SystemRoot%") & "\System32\WindowsPowerShell\v1.0\powershell.exe"
command = """" & powershell & """ -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File """ & scriptPath & """"

' 0 = hidden window, True = wait for it to end
exitCode = shell.Run(command, 0, True)
WScript.Quit exitCode
