import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * Starts a Java program or test harness: runs the first of the named classes that has a
 * {@code public static void main(String[])}.
 *
 * <p>{@code RewardMain stdio STACK A B ... -- ARGS}: runs main with ARGS as {@code java A ARGS}
 * would, on a thread whose stack is STACK bytes (the job's memory limit: deep recursion, as
 * judges allow; {@code -Xss} would give every thread of the JVM that much).
 * {@code RewardMain harness STACK A B ... --}: reads the test's token from fd 3 before any class of the program is
 * initialised, keeps it in a local variable (out of reach of reflection), and writes it to fd 4
 * only if main returned normally. So {@code System.exit(0)} from the code under test, a printed
 * success line or a killed harness never passes. The pipes are the runner's (root's): Java can't
 * open them again by path, so their descriptors are wrapped as they are (which needs the JVM flag
 * {@code --add-opens java.base/java.io=ALL-UNNAMED}).
 */
public final class RewardMain {
    private RewardMain() {}

    public static void main(String[] args) throws Throwable {
        boolean harness = args[0].equals("harness");
        byte[] token = null;
        if (harness) {
            try (FileInputStream in = new FileInputStream(descriptor(3))) {
                token = readToken(in);
            }
        }
        long stack = Long.parseLong(args[1]);
        int separator = java.util.Arrays.asList(args).indexOf("--");
        String[] candidates = java.util.Arrays.copyOfRange(args, 2, separator);
        String[] programArgs = java.util.Arrays.copyOfRange(args, separator + 1, args.length);
        Method main = findMain(candidates);
        if (main == null) {
            System.err.println("no class with public static void main(String[]) was found");
            System.exit(1);
        }
        Throwable[] failed = new Throwable[1];
        Thread thread = new Thread(null, () -> {
            try {
                main.invoke(null, (Object) programArgs);
            } catch (InvocationTargetException e) {
                failed[0] = e.getCause();
            } catch (Throwable e) {
                failed[0] = e;
            }
        }, "main", stack);
        thread.start();
        thread.join();
        if (failed[0] != null) {
            throw failed[0];
        }
        if (harness) {
            System.out.flush();
            try (FileOutputStream out = new FileOutputStream(descriptor(4))) {
                out.write(token);
            }
        }
    }

    private static byte[] readToken(FileInputStream in) throws java.io.IOException {
        byte[] buffer = new byte[64];  // a pipe: readAllBytes would try to seek
        int length = 0;
        int got;
        while (length < buffer.length && (got = in.read(buffer, length, buffer.length - length)) > 0) {
            length += got;
        }
        return java.util.Arrays.copyOf(buffer, length);
    }

    private static FileDescriptor descriptor(int number) throws ReflectiveOperationException {
        FileDescriptor descriptor = new FileDescriptor();
        Field fd = FileDescriptor.class.getDeclaredField("fd");
        fd.setAccessible(true);
        fd.setInt(descriptor, number);
        return descriptor;
    }

    private static Method findMain(String[] names) throws ClassNotFoundException {
        ClassLoader loader = RewardMain.class.getClassLoader();
        for (String name : names) {
            Class<?> candidate = Class.forName(name, false, loader);
            try {
                Method main = candidate.getDeclaredMethod("main", String[].class);
                int modifiers = main.getModifiers();
                if (Modifier.isStatic(modifiers) && main.getReturnType() == void.class) {
                    main.setAccessible(true);
                    return main;
                }
            } catch (NoSuchMethodException e) {
                // not this one
            }
        }
        return null;
    }
}
