package io.percore.apps;

// README:begin hello-app
import io.percore.app.AppTemplate;
import io.percore.core.Future;
import io.percore.core.Offload;
import io.percore.smp.Smp;
import picocli.CommandLine.Option;

/** Counts the shards and says so: the smallest whole percore program. */
public final class HelloApp {
    static final class Options {
        @Option(names = "--greeting", defaultValue = "hello", description = "What to say.")
        String greeting;
    }

    /** Runs with the standard options plus --greeting; exits 0. */
    public static void main(String[] args) {
        Options options = new Options();
        AppTemplate.builder("hello").options(options).run(args, ctx ->  // runs on shard 0
                Smp.mapReduce(() -> Future.ready(1), 0, Integer::sum)
                        .flatMap(shards -> Offload.run(() -> {     // printing may block: not on a shard
                            System.out.println(options.greeting + " from " + shards + " shard(s)");
                            return 0;                               // the exit code
                        })));
    }
}
// README:end
