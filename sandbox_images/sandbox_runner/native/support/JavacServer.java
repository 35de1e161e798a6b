import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * A warm javac: one per container, started by the runner on the first Java job
 * (native/compile_server.py) and kept for the next ones, so a compile costs the program's own
 * compilation instead of a JVM start and javac's warm-up each time (~0.4 s).
 *
 * <p>{@code java JavacServer BUILD_DIR JAVAC_OPTIONS...}: requests on stdin, answers on stdout,
 * as lines with byte counts (request: {@code <files>\n} then per file {@code
 * <name>\n<bytes>\n<content>}; answer: {@code <1 or 0>\n<bytes>\n<diagnostics>}). Each request
 * writes its files into BUILD_DIR and compiles its .java files there, as {@code javac -d
 * BUILD_DIR} would. The file manager (javac's view of the platform classes) is kept between
 * compiles; nothing of one program reaches another's compile. A compile that runs javac out of
 * memory ends the server (the runner starts a fresh one).
 */
public final class JavacServer {
    private JavacServer() {}

    public static void main(String[] args) throws IOException {
        Path build = Path.of(args[0]);
        List<String> options = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        options.addAll(List.of("-d", build.toString()));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager files =
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in));
        OutputStream out = new PrintStream(System.out, false);
        while (true) {
            String count = readLine(in);
            if (count == null) {
                return;
            }
            List<Path> sources = new ArrayList<>();
            for (int i = Integer.parseInt(count); i > 0; i--) {
                Path target = build.resolve(readLine(in));
                byte[] content = in.readNBytes(Integer.parseInt(readLine(in)));
                Files.createDirectories(target.getParent());
                Files.write(target, content);
                if (target.toString().endsWith(".java")) {
                    sources.add(target);
                }
            }
            StringWriter said = new StringWriter();
            boolean ok;
            try {
                ok = javac.getTask(said, files, null, options, null,
                        files.getJavaFileObjectsFromPaths(sources)).call();
            } catch (OutOfMemoryError e) {
                // no telling what state it left: a fresh server compiles next
                System.err.println("javac ran out of memory");
                System.exit(3);
                return;
            } catch (RuntimeException | StackOverflowError e) {
                ok = false;  // javac's own crash on this program (a deeply nested expression)
                said.write("javac could not compile it: " + e);
            }
            String text = said.toString().replace(build + "/", "");
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            answer.write(((ok ? "1" : "0") + "\n" + body.length + "\n").getBytes(StandardCharsets.UTF_8));
            answer.write(body);
            out.write(answer.toByteArray());
            out.flush();
        }
    }

    private static String readLine(DataInputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }
}
