using System.Runtime.InteropServices;
using DetectionEval.Cli;

// Ctrl-C (SIGINT) cancels the run: it stops at the next check, writes no further file and exits with 130.
// A second Ctrl-C is left to the system, which ends the process at once.
using var interrupt = new CancellationTokenSource();
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    if (interrupt.IsCancellationRequested) return;
    context.Cancel = true;
    interrupt.Cancel();
});
return DevalApp.Run(args, Console.Out, Console.Error, interrupt.Token);
