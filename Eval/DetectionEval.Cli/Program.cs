using DetectionEval.Cli;

return DevalApp.Run(args, Console.Out, Console.Error);
