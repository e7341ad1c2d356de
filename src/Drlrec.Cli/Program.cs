using Drlrec.Cli;

return DrlrecCli.Run(args);
