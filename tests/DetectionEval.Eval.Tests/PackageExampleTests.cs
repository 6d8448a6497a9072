using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// The README's library example, as a user would build it: DetectionEval.Matching and DetectionEval.Eval packed
/// from this checkout into a folder, a new console project with the README's one PackageReference restored
/// from that folder (and, for the packages they depend on, from the machine's package folder: nothing is
/// downloaded), built with warnings as errors and run. Takes about a minute; `--filter Category!=Package` leaves
/// it out of a quick local run, CI runs it.
/// </summary>
[Trait("Category", "Package")]
public sealed partial class PackageExampleTests
{
    [Fact]
    public void The_readme_library_example_builds_without_warnings_against_the_packed_package_and_prints_what_the_readme_shows()
    {
        string readme = File.ReadAllText(Path.Combine(ReferenceData.RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        Match example = LibraryExample().Match(readme);
        Assert.True(example.Success, "README.md has no ```xml PackageReference, ```csharp example and ```text output under '## Use as a library'");
        string packageReference = example.Groups["reference"].Value;
        Assert.Contains("Include=\"DetectionEval.Eval\"", packageReference, StringComparison.Ordinal);

        string work = Directory.CreateTempSubdirectory("package-example-").FullName;
        try
        {
            // A version of its own, so that no package of an earlier run, in any cache, can stand in for this one.
            string version = $"0.1.0-check.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            string feed = Path.Combine(work, "feed");
            foreach (string project in new[] { "Matching/DetectionEval.Matching", "Eval/DetectionEval.Eval" })
            {
                Run("dotnet", ["pack", Path.Combine(ReferenceData.RepositoryRoot, project), "-c", "Release", "-o", feed, $"-p:Version={version}", "--nologo", "-v", "quiet"], work);
            }

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Example.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <NuGetAudit>false</NuGetAudit>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    {packageReference.Replace("Version=\"0.1.0\"", $"Version=\"{version}\"", StringComparison.Ordinal)}
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), example.Groups["code"].Value);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="packed" value="{feed}" />
                    <add key="machine" value="{MachinePackageFolder()}" />
                  </packageSources>
                </configuration>
                """);
            // Directory.Build.props of this repository must not reach the example: it lives outside it.
            string build = Run("dotnet", ["build", app, "-c", "Release", "--nologo"], work);
            Assert.Matches(@"\b0 Warning\(s\)", build);
            Assert.DoesNotMatch(@"warning [A-Z]+[0-9]+", build);

            string printed = Run("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Example.dll")], work);
            Assert.Equal(example.Groups["output"].Value, printed.ReplaceLineEndings("\n"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The folder restore extracts packages to, which holds the example's other dependencies (CsvHelper) already.</summary>
    private static string MachinePackageFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Runs a command to its end and returns its output; fails the test, with that output, on a non-zero exit.</summary>
    private static string Run(string command, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string all = output + error.Result;
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{all}");
        return all;
    }

    [GeneratedRegex(@"^## Use as a library\n.*?```xml\n(?<reference>[^\n]*PackageReference[^\n]*)\n```\n.*?```csharp\n(?<code>.*?)```\n```text\n(?<output>.*?)```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex LibraryExample();
}
